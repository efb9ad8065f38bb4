library(riskRegression); library(prodlim); library(cmprsk)
d <- read.csv("tests/data/validation.csv"); f <- function(x) cat(sprintf("%.12g", x), "\n")
h <- 12
# reverse KM of censoring; G(T_i-) via times - 1e-9 (times are whole months)
Gf <- prodlim(Hist(time,status)~1, data=d, reverse=TRUE)
G <- ifelse(d$time <= h, sapply(d$time, function(t) predict(Gf, times=t-1e-9)), predict(Gf, times=h))
known <- !(d$time <= h & d$status == 0)
d$y <- as.numeric(d$time <= h & d$status == 1); d$lp <- qlogis(d$risk); d$w <- 1/G
k <- d[known,]
f(coef(glm(y ~ offset(lp), family=quasibinomial, data=k, weights=w)))
f(coef(glm(y ~ lp, family=quasibinomial, data=k, weights=w)))
m1 <- glm(y ~ offset(lp), family=binomial, data=k); m2 <- glm(y ~ lp, family=binomial, data=k)
f(c(coef(m1), sqrt(vcov(m1)))); f(c(coef(m2), sqrt(diag(vcov(m2)))))
# decision curve at thresholds 0.2 and 0.4
ci <- function(s) { x <- cuminc(s$time, s$status, cencode=0); timepoints(x, h)$est["1 1",] }
Fall <- ci(d); f(Fall)
for (pt in c(0.2, 0.4)) { s <- d[d$risk >= pt,]; Fh <- ci(s); pi <- nrow(s)/nrow(d)
  f(c(Fh*pi - (1-Fh)*pi*pt/(1-pt), Fall - (1-Fall)*pt/(1-pt))) }

sessionInfo()
