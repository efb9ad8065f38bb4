# Kaplan-Meier by group (survfit, default log CI) plus log-rank (survdiff).
f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
source(file.path(dirname(normalizePath(f)), "_bench.R"))
suppressPackageStartupMessages(library(survival))
args <- bench_args(); d <- bench_read(args$csv)
res <- bench_run(function() {
  fit <- survfit(Surv(time, status) ~ group, data = d)
  lr <- survdiff(Surv(time, status) ~ group, data = d)
  list(fit = fit, lr = lr)
}, args$repeats, args$warmup)
report_value("logrank_chisq", res$lr$chisq)
s <- summary(res$fit, times = 365)
report_value("surv365_g0", s$surv[1]); report_value("surv365_g1", s$surv[2])
report_value("lower365_g0", s$lower[1]); report_value("upper365_g0", s$upper[1])
