# Shared timing helper for the benchmark R scripts (sourced by each script).
# Usage of every script:  Rscript <script>.R DATA.csv REPEATS WARMUP(TRUE/FALSE)
# Times are measured INSIDE R around the call only (system.time elapsed),
# excluding R start-up, package loading and reading the data.
bench_args <- function() {
  a <- commandArgs(trailingOnly = TRUE)
  list(csv = a[1], repeats = as.integer(a[2]), warmup = as.logical(a[3]))
}
# data.table's fread when installed (fast), else base read.csv; reading is not timed.
bench_read <- function(path) {
  if (requireNamespace("data.table", quietly = TRUE)) {
    as.data.frame(data.table::fread(path, showProgress = FALSE))
  } else {
    read.csv(path)
  }
}
bench_run <- function(f, repeats, warmup) {
  if (warmup) invisible(f())
  res <- NULL
  for (i in seq_len(repeats)) {
    invisible(gc())
    t <- system.time(res <- f())[["elapsed"]]
    cat(sprintf("SECONDS %.6f\n", t))
  }
  res
}
report_value <- function(name, x) cat(sprintf("VALUE %s %.12g\n", name, x))
