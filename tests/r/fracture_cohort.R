# Reference values for tests/test_fracture_cohort.py: the bundled synthetic_fracture.csv after
# spinestats.reports.fracture_job.prepare(), written to tests/data/fracture_cohort.csv by tests/r/write_data.py.
library(cmprsk); library(survival)
d <- read.csv("tests/data/fracture_cohort.csv"); f <- function(x) cat(sprintf("%.12g", x), "\n")
d$modality <- factor(d$modality, levels=c("CIRT","SBRT","conventional"))
X <- model.matrix(~ sins_total + modality, d)[,-1]
m <- crr(d$time_months, d$event, X, failcode=1, cencode=0)
f(m$coef); f(sqrt(diag(m$var)))
p <- predict(m, X[1:3,,drop=FALSE]); f(p[max(which(p[,1] <= 12)), -1])
ci <- cuminc(d$time_months, d$event, d$modality, cencode=0)
f(ci$Tests[1,]); f(timepoints(ci, c(6,12,24))$est[1:3,])
u <- crr(d$time_months, d$event, cbind(d$sins_total), failcode=1, cencode=0); f(c(u$coef, sqrt(u$var)))
for (a in list(c(7,30),c(5,36),c(3,60),c(15,126))) f(binom.test(a[1],a[2])$conf.int)

sessionInfo()
