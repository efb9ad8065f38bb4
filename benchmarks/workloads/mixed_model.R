# Linear mixed model, random intercept per patient, visit as a factor (REML):
# lme4::lmer(y ~ visit + (1 | id)).
f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
source(file.path(dirname(normalizePath(f)), "_bench.R"))
suppressPackageStartupMessages(library(lme4))
args <- bench_args(); d <- bench_read(args$csv)
d$visit <- factor(d$visit); d$id <- factor(d$id)
res <- bench_run(function() lmer(y ~ visit + (1 | id), data = d, REML = TRUE), args$repeats, args$warmup)
fe <- fixef(res); se <- sqrt(diag(as.matrix(vcov(res))))
for (i in seq_along(fe)) report_value(paste0("coef_", i - 1), fe[i])
for (i in seq_along(fe)) report_value(paste0("se_", i - 1), se[i])
vc <- as.data.frame(VarCorr(res))
report_value("var_id", vc$vcov[1]); report_value("var_resid", vc$vcov[2])
