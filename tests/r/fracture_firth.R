library(brglm2)
d <- data.frame(
 y  = c(0,0,1,1,0,1,0,0,1,0,0,1,1,0,0,1,1,0,1,0),
 x1 = c(1.2,0.5,2.3,3.1,0.9,2.8,1.5,0.3,3.5,2.2,1.1,4.0,2.9,1.8,3.3,2.5,3.8,0.7,1.9,2.6),
 x2 = c(0,0,1,1,0,0,0,0,1,1,0,1,0,1,1,1,1,0,0,1))
f <- glm(y ~ x1 + x2, family=binomial, data=d, method="brglmFit", type="AS_mean")
cat(sprintf("%.12g", coef(f)), "\n"); cat(sprintf("%.12g", sqrt(diag(vcov(f)))), "\n")
X <- model.matrix(~x1+x2, d)
pl <- function(b){ eta <- X%*%b; p <- plogis(eta); sum(d$y*log(p)+(1-d$y)*log(1-p)) + 0.5*log(det(t(X)%*%(X*as.vector(p*(1-p))))) }
bh <- coef(f); lmax <- pl(bh); cat(sprintf("%.12g", lmax), "\n")
prof <- function(r, v){ o <- optim(bh[-r], function(bb){ b <- numeric(3); b[r] <- v; b[-r] <- bb; -pl(b)}, method="BFGS", control=list(reltol=1e-15, maxit=1000)); -o$value }
for (r in 1:3){
  g <- function(v) 2*(lmax - prof(r,v)) - qchisq(0.95,1)
  lo <- uniroot(g, c(bh[r]-3*sqrt(diag(vcov(f)))[r], bh[r]), tol=1e-10)$root; hi <- uniroot(g, c(bh[r], bh[r]+3*sqrt(diag(vcov(f)))[r]), tol=1e-10)$root
  p <- pchisq(2*(lmax-prof(r,0)), 1, lower.tail=FALSE)
  cat(sprintf("%.12g", c(lo,hi,p)), "\n")
}
# ML
m <- glm(y ~ x1 + x2, family=binomial, data=d); cat(sprintf("%.12g", coef(m)), "\n")
cat(sprintf("%.12g", confint(m)), "\n")
# separation
s <- data.frame(y=c(0,0,0,0,1,1,1,1,0,1), x=c(1,2,3,4,5,6,7,8,2.5,9))
fs <- glm(y ~ x, family=binomial, data=s, method="brglmFit", type="AS_mean"); cat(sprintf("%.12g", coef(fs)), "\n")

sessionInfo()
