# R code behind tests/test_survival_km_logrank.py (survival 3.5-3)
library(survival)
d <- data.frame(time=c(1,2,2,3,4,4,5,6,7,8,9,10, 2,3,4,5), status=c(1,1,0,1,0,1,1,0,1,0,1,0, 0,0,0,0), g=c(rep("a",12),rep("c",4)), entry=c(0,0,1,0,0,2,0,1,0,0,3,0, 0,1,0,0))
f <- survfit(Surv(time,status)~g, data=d, conf.type="log-log")
print(summary(f))
f <- survfit(Surv(time,status)~g, data=d, conf.type="plain")
print(summary(f, censored=TRUE))
fe <- survfit(Surv(entry, time,status)~1, data=d[d$g=="a",])
print(summary(fe, censored=TRUE)); print(fe$time); print(fe$n.risk)
# flat at 0.5
f5 <- survfit(Surv(c(1,2,3,4,5,6), c(1,1,1,0,1,0))~1); print(summary(f5)); print(quantile(f5))
print(summary(f, times=c(0.5, 3, 5.5, 10, 12), extend=FALSE))
library(survival)
d <- data.frame(time=c(1,2,2,3,4,4,5,6,7,8,9,10, 2,3,4,5), status=c(1,1,0,1,0,1,1,0,1,0,1,0, 0,0,0,0), g=c(rep("a",12),rep("c",4)), entry=c(0,0,1,0,0,2,0,1,0,0,3,0, 0,1,0,0))
for (ct in c("log","log-log","plain")) { f <- survfit(Surv(time,status)~1, data=d[d$g=="a",], conf.type=ct)
 cat(ct, "\n"); cat(sprintf("%.12g", f$lower), "\n"); cat(sprintf("%.12g", f$upper), "\n"); q <- quantile(f); print(q) }
cat(sprintf("%.12g", f$std.err), "\n"); cat(sprintf("%.12g", f$surv), "\n")
library(survival)
d <- read.csv("tests/data/lr1.csv")
f <- function(x) cat(sprintf("%.12g", c(x$chisq, x$obs, x$exp)), "\n")
f(survdiff(Surv(time,status)~g, data=d))
f(survdiff(Surv(time,status)~g, data=d, rho=1))
f(survdiff(Surv(time,status)~g+strata(s), data=d))
ps <- sapply(list(c(0,1),c(0,2),c(1,2)), function(p) {x<-survdiff(Surv(time,status)~g, data=d[d$g %in% p,]); pchisq(x$chisq,1,lower.tail=FALSE)})
cat(sprintf("%.12g", p.adjust(ps, "holm")), "\n")
x <- survdiff(Surv(time,status)~g, data=d); s <- 1:3
cat(sprintf("%.12g", sum(s*(x$obs-x$exp))^2 / (t(s) %*% x$var %*% s)), "\n")
library(survival)
d <- read.csv("tests/data/lr1.csv"); d <- d[d$g %in% c(0,1),]
fh <- function(d, rho, gam) {
  km <- survfit(Surv(time,status)~1, data=d)
  ut <- sort(unique(d$time[d$status==1]))
  S <- stepfun(km$time, c(1, km$surv))
  U <- 0; V <- 0
  for (t in ut) {
    sl <- S(t - 1e-9); w <- sl^rho * (1-sl)^gam
    n <- sum(d$time >= t); n1 <- sum(d$time >= t & d$g==0)
    dd <- sum(d$time == t & d$status==1); d1 <- sum(d$time==t & d$status==1 & d$g==0)
    U <- U + w*(d1 - dd*n1/n)
    if (n > 1) V <- V + w^2 * dd*(n-dd)/(n-1) * n1/n*(1-n1/n)
  }
  U^2/V
}
cat(sprintf("%.12g", c(fh(d,0,1), fh(d,1,1), fh(d,1,0), survdiff(Surv(time,status)~g, data=d, rho=1)$chisq)), "\n")
library(survival)
d <- data.frame(time=c(1,2,2,3,4,4,5,6,7,8,9,10), status=c(1,1,0,1,0,1,1,0,1,0,1,0))
print(summary(survfit(Surv(time,status)~1, data=d, conf.type="log-log"), times=c(0.5, 3)))

sessionInfo()
