# R code behind tests/test_survival_competing.py (cmprsk 2.2.11, survival 3.5-3, R 4.2)
# cr1 = the CR1 table of the test (tests/data/cr1.csv); cr2 = gray_data(); fg1 = fg_data() (tests/r/write_data.py)
library(cmprsk)
d <- data.frame(
 time=c(1,2,2,3,4,4,4,5,6,7,8,8,9,10,11,12,12,13,15,16,17,18,20,22,25, 2,3,3,5,6,7,7,9,10,11,13,14,14,16,18,19,21,23,24,26),
 status=c(1,2,0,1,1,2,0,0,1,2,1,1,0,2,1,0,1,2,1,0,2,1,0,1,0, 0,1,2,1,1,0,2,1,1,2,0,1,0,2,1,1,0,2,1,0),
 group=c(rep("a",25), rep("b",20)))
ci <- cuminc(d$time, d$status, d$group)
for (nm in names(ci)[1:4]) { cat(nm, "\n"); cat(sprintf("%.12g", ci[[nm]]$time), "\n"); cat(sprintf("%.12g", ci[[nm]]$est), "\n"); cat(sprintf("%.12g", ci[[nm]]$var), "\n") }
print(ci$Tests, digits=12)
tp <- timepoints(ci, c(5, 10, 24, 25, 27))
print(tp, digits=12)
library(cmprsk)
d <- read.csv("tests/data/cr2.csv")
for (rho in c(0,1)) { ci <- cuminc(d$time, d$status, d$group, rho=rho); cat(sprintf("%.12g", ci$Tests[,1]), "\n") }
ci <- cuminc(d$time, d$status, d$group, strata=d$st); cat(sprintf("%.12g", ci$Tests[,1]), "\n")
library(cmprsk)
d <- read.csv("tests/data/fg1.csv")
f <- crr(d$time, d$status, cbind(x1=d$x1,x2=d$x2,x3=d$x3))
cat(sprintf("%.12g", f$coef), "\n"); cat(sprintf("%.12g", sqrt(diag(f$var))), "\n"); cat(sprintf("%.12g", c(f$loglik, f$loglik.null)), "\n")
p <- predict(f, cov1=rbind(c(0,1,0.5)))
cat(sprintf("%.12g", p[p[,1]<=5, 2][sum(p[,1]<=5)]), "\n")
f2 <- crr(d$time, d$status, cbind(x1=d$x1,x2=d$x2,x3=d$x3), failcode=2)
cat(sprintf("%.12g", f2$coef), "\n"); cat(sprintf("%.12g", sqrt(diag(f2$var))), "\n")
print(table(duplicated(d$time)))
library(cmprsk)
d <- read.csv("tests/data/cr1.csv")
# all-censored group + no competing -> identity with Cox breslow
ci <- cuminc(d$time, d$status, d$group, rho=1); cat(sprintf("%.12g", ci$Tests[,1]), "\n")
d2 <- d; d2$status[d2$status==2] <- 0
f <- crr(d2$time, d2$status, cbind(g=as.numeric(d2$group=="b")))
cat(sprintf("%.12g", c(f$coef, sqrt(diag(f$var)))), "\n")
library(survival)
cx <- coxph(Surv(time, status==1) ~ I(as.numeric(group=="b")), data=d2, ties="breslow")
cat(sprintf("%.12g", coef(cx)), "\n")
library(cmprsk)
d <- read.csv("tests/data/cr1.csv"); d$status[d$group=="b"] <- 0
ci <- cuminc(d$time, d$status, d$group); print(ci$Tests, digits=12)

sessionInfo()
