# Fine-Gray subdistribution hazards: cmprsk::crr(failcode = 1, cencode = 0).
f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
source(file.path(dirname(normalizePath(f)), "_bench.R"))
suppressPackageStartupMessages(library(cmprsk))
args <- bench_args(); d <- bench_read(args$csv)
xs <- grep("^x", names(d), value = TRUE)
X <- as.matrix(d[, xs])
res <- bench_run(function() crr(d$time, d$status, X, failcode = 1, cencode = 0),
                 args$repeats, args$warmup)
for (i in seq_along(xs)) report_value(paste0("coef_", xs[i]), res$coef[i])
for (i in seq_along(xs)) report_value(paste0("se_", xs[i]), sqrt(diag(res$var))[i])
