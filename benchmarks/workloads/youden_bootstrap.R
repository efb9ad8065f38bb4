# Stratified bootstrap (boot.n replicates) of the Youden-optimal cutoff:
# pROC ci.coords(x = "best", best.method = "youden", boot.stratified = TRUE).
# The ROC is built once outside the timed call (pROC's bootstrap is what is timed).
f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
source(file.path(dirname(normalizePath(f)), "_bench.R"))
suppressPackageStartupMessages(library(pROC))
args <- bench_args(); d <- bench_read(args$csv)
boot_n <- as.integer(Sys.getenv("BENCH_BOOT_N", "2000"))
r <- roc(d$truth, d$score, levels = c(0, 1), direction = "<", quiet = TRUE)
res <- bench_run(function() {
  set.seed(1)
  suppressWarnings(ci.coords(r, x = "best", input = "threshold", best.method = "youden",
            ret = c("threshold", "sensitivity", "specificity"),
            boot.n = boot_n, boot.stratified = TRUE, progress = "none"))
}, args$repeats, args$warmup)
report_value("threshold_median", res$threshold[2])
report_value("sensitivity_median", res$sensitivity[2])
report_value("specificity_median", res$specificity[2])
