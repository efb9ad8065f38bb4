# Reference for tests/test_multicenter_risk_validation.py: glm calibration, O:E, pROC DeLong
suppressMessages(library(pROC))
f <- function(x) paste(sprintf("%.12g", x), collapse=" ")
d <- read.csv("tests/data/risk_validation.csv")   # the test's generator (numpy default_rng(42))
lp <- qlogis(d$p)
m1 <- glm(y ~ offset(lp), family=binomial, data=d, control=glm.control(epsilon=1e-14, maxit=100))
m2 <- glm(y ~ lp, family=binomial, data=d, control=glm.control(epsilon=1e-14, maxit=100))
cat("citl", f(coef(m1)), f(sqrt(vcov(m1)[1,1])), "\n")
cat("slope", f(coef(m2)[2]), f(sqrt(vcov(m2)[2,2])), "\n")
r <- roc(d$y, d$p, direction="<", quiet=TRUE)
cat("auc", f(auc(r)), f(ci.auc(r, method="delong")), "\n")
O <- sum(d$y); E <- sum(d$p); cat("oe", f(O/E), f(exp(log(O/E) + c(-1,1)*qnorm(0.975)*sqrt((1-O/nrow(d))/O))), "\n")

sessionInfo()
