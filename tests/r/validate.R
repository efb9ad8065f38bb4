# References of tests/test_validate.py: `spinestats validate` on riskRegression's Melanoma data
# (Andersen et al. 1993; 205 patients; status 0 alive, 1 died of melanoma, 2 died of other causes),
# time in months, with a fixed risk score  plogis(-2.4 + 0.25 thick + 0.9 ulcer)  and three pseudo-centres.
# Run from the repository root: Rscript tests/r/validate.R  (writes tests/data/melanoma_risk.csv and prints the references)
suppressMessages({library(riskRegression); library(survival); library(prodlim); library(cmprsk); library(metafor)})
data(Melanoma, package = "riskRegression")
f <- function(...) cat(sprintf("%.15g", c(...)), "\n")
i <- seq_len(nrow(Melanoma))
d <- data.frame(time = round(Melanoma$time / 365.25 * 12, 4),
                status = c(0L, 1L, 2L)[as.integer(Melanoma$event)],
                thick = Melanoma$thick, ulcer = as.integer(Melanoma$ulcer == "present"),
                centre = c("B", "C", "A")[i %% 3 + 1])
stopifnot(all(table(d$status) == c(134, 57, 14)))
d$risk <- round(plogis(-2.4 + 0.25 * d$thick + 0.9 * d$ulcer), 6)
write.csv(d, "tests/data/melanoma_risk.csv", row.names = FALSE)
h <- 60
# Harrell (no truncation) and Uno (tau = h), deaths from other causes kept comparable (Wolbers): time -> 1e6
d$t2 <- ifelse(d$status == 2, 1e6, d$time)
f(concordance(Surv(t2, status == 1) ~ risk, data = d, reverse = TRUE)$concordance)
f(concordance(Surv(t2, status == 1) ~ risk, data = d, reverse = TRUE, timewt = "n/G2", ymax = h)$concordance)
# AUC(t) and Brier(t), IPCW (marginal KM): default SEs (censoring KM propagated), then conservative = TRUE
for (cons in c(FALSE, TRUE)) {
  s <- Score(list(risk = d$risk), Hist(time, status) ~ 1, data = d, times = h, cause = 1,
             metrics = c("auc", "brier"), cens.model = "km", conservative = cons, null.model = FALSE)
  f(unlist(s$AUC$score[, c("AUC", "se", "lower", "upper")]))
  f(unlist(s$Brier$score[, c("Brier", "se", "lower", "upper")]))
}
# calibration with IPC weights: glm(y ~ offset(lp)) and glm(y ~ lp), quasibinomial, weights 1/G
Gf <- prodlim(Hist(time, status) ~ 1, data = d, reverse = TRUE)
G <- ifelse(d$time <= h, sapply(d$time, function(t) predict(Gf, times = t - 1e-7)), predict(Gf, times = h))
known <- !(d$time <= h & d$status == 0)
d$y <- as.numeric(d$time <= h & d$status == 1); d$lp <- qlogis(d$risk); d$w <- 1 / G
k <- d[known, ]
f(coef(glm(y ~ offset(lp), family = quasibinomial, data = k, weights = w)))
f(coef(glm(y ~ lp, family = quasibinomial, data = k, weights = w)))
# decision curve at 0.2 and 0.4 (Aalen-Johansen cumulative incidence by the horizon)
ci <- function(s) timepoints(cuminc(s$time, s$status, cencode = 0), h)$est["1 1", ]
Fall <- ci(d)
for (pt in c(0.2, 0.4)) { s2 <- d[d$risk >= pt, ]; Fh <- ci(s2); p <- nrow(s2) / nrow(d)
  f(Fh * p - (1 - Fh) * p * pt / (1 - pt), Fall - (1 - Fall) * pt / (1 - pt)) }
# per centre: AUC(t) and Brier(t) with their SEs, pooled by REML with Knapp-Hartung (AUC on the logit scale)
pc <- do.call(rbind, lapply(split(d, d$centre), function(g) {
  s <- Score(list(risk = g$risk), Hist(time, status) ~ 1, data = g, times = h, cause = 1,
             metrics = c("auc", "brier"), cens.model = "km", null.model = FALSE)
  c(auc = s$AUC$score$AUC, auc_se = s$AUC$score$se, brier = s$Brier$score$Brier, brier_se = s$Brier$score$se) }))
print(pc, digits = 15)
m <- rma(yi = qlogis(pc[, "auc"]), vi = (pc[, "auc_se"] / (pc[, "auc"] * (1 - pc[, "auc"])))^2, method = "REML", test = "knha")
f(plogis(c(m$b, m$ci.lb, m$ci.ub)), m$tau2)
m <- rma(yi = pc[, "brier"], vi = pc[, "brier_se"]^2, method = "REML", test = "knha")
f(c(m$b, m$ci.lb, m$ci.ub), m$tau2)
# the last follow-up time
f(max(d$time))

sessionInfo()
