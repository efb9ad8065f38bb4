# AUC with DeLong CI: pROC roc() + ci.auc(method = "delong"), timed together.
f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
source(file.path(dirname(normalizePath(f)), "_bench.R"))
suppressPackageStartupMessages(library(pROC))
args <- bench_args(); d <- bench_read(args$csv)
res <- bench_run(function() {
  r <- roc(d$truth, d$score, levels = c(0, 1), direction = "<", quiet = TRUE)
  list(auc = as.numeric(auc(r)), ci = as.numeric(ci.auc(r, method = "delong")))
}, args$repeats, args$warmup)
report_value("auc", res$auc); report_value("ci_lower", res$ci[1]); report_value("ci_upper", res$ci[3])
