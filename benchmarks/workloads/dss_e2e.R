# The R equivalent of `spinestats dss` on the 59-row example, as one whole process:
# read the export, compute the DSS from the features, ROC with DeLong CI (pROC),
# sensitivity/specificity/PPV/NPV at the cutoff 3 with exact CIs (epiR), and one
# ROC figure as PDF.  Timed from outside as a whole process (start-up and package
# loading included), like the spinestats command it is compared with.
# Usage: Rscript dss_e2e.R EXPORT.csv OUT_DIR
suppressPackageStartupMessages({library(pROC); library(epiR)})
a <- commandArgs(trailingOnly = TRUE)
d <- read.csv(a[1], comment.char = "#", stringsAsFactors = FALSE)
tf <- function(x) tolower(as.character(x)) %in% c("true", "1", "yes")
d$dss <- 2 * (d$size_cm >= 5) + 2 * (d$boundary == "indistinct") + tf(d$lobulated) + tf(d$bone_destruction)
truth <- d$reference == "malignant"
r <- roc(truth, d$dss, levels = c(FALSE, TRUE), direction = "<", quiet = TRUE)
ci <- ci.auc(r, method = "delong")
pos <- d$dss >= 3
tab <- as.table(matrix(c(sum(pos & truth), sum(pos & !truth), sum(!pos & truth), sum(!pos & !truth)),
                       nrow = 2, byrow = TRUE))
acc <- epi.tests(tab, conf.level = 0.95)
dir.create(a[2], showWarnings = FALSE, recursive = TRUE)
pdf(file.path(a[2], "dss_roc.pdf"), width = 3.5, height = 3.5)
plot(r, legacy.axes = TRUE, main = sprintf("AUC %.3f (%.3f-%.3f)", ci[2], ci[1], ci[3]))
invisible(dev.off())
cat(sprintf("AUC %.6f\n", ci[2]))
