# Reference values for tests/test_pain_mixed_time.py: continuous time in the mixed model
# (R 4.2.x, lme4, lmerTest, emmeans).  Run from the repository root: Rscript tests/r/pain_lmm_time.R
suppressMessages({library(lme4); library(lmerTest); library(emmeans)})
p <- function(x) cat(paste(sprintf("%.12g", x), collapse=", "), "\n")
# synthetic_cafe.csv in long form with time in months; 'final' (no time) is left out of the continuous-time model
w <- read.csv("data_schemas/examples/synthetic_cafe.csv", comment.char = "#")
tm <- c(baseline = 0, "1w" = 0.25, "1m" = 1, "3m" = 3, "6m" = 6, "12m" = 12)
c2 <- do.call(rbind, lapply(names(tm), function(v)
  data.frame(patient_id = w$patient_id, arm = w$arm, time = tm[[v]], nrs = w[[paste0("nrs_", v)]])))
c2 <- c2[!is.na(c2$nrs), ]
c2$arm <- factor(c2$arm, levels = c("control", "BKP"))
cat("rows", nrow(c2), "patients", length(unique(c2$patient_id)), "\n")
m <- lmer(nrs ~ time * arm + (1 + time | patient_id), data = c2, REML = TRUE)
cat("fixef\n"); p(fixef(m)); cat("se\n"); p(sqrt(diag(vcov(m))))
cat("theta sigma REML\n"); p(c(getME(m, "theta"), sigma(m), REMLcrit(m)))
s <- summary(m)$coefficients; cat("satt df\n"); p(s[, "df"]); cat("p\n"); p(s[, "Pr(>|t|)"])
e <- emmeans(m, ~ arm | time, at = list(time = c(0, 1, 3, 6, 12)), lmer.df = "satterthwaite"); es <- summary(e)
cat("emm (arm within time): emmean, SE, df, lower, upper\n"); p(es$emmean); p(es$SE); p(es$df); p(es$lower.CL); p(es$upper.CL)
cs <- summary(pairs(e, reverse = TRUE), infer = TRUE)
cat("BKP - control at each time: estimate, SE, df, p, lower, upper\n"); p(cs$estimate); p(cs$SE); p(cs$df); p(cs$p.value); p(cs$lower.CL); p(cs$upper.CL)
tr <- summary(emtrends(m, ~ arm, var = "time", lmer.df = "satterthwaite"), infer = TRUE)
cat("slopes per arm: trend, SE, df\n"); p(tr$time.trend); p(tr$SE); p(tr$df)
# random intercept only
m0 <- lmer(nrs ~ time * arm + (1 | patient_id), data = c2, REML = TRUE)
cat("intercept-only fixef, df\n"); p(fixef(m0)); p(summary(m0)$coefficients[, "df"])

# --- seeded data with real random slopes (tests/data/pain_time.csv: id, group, months, pain)
d <- read.csv("tests/data/pain_time.csv"); d$group <- factor(d$group, levels = c("control", "BKP"))
# lme4's default nloptwrap stops ~1e-5 (relative) short of the REML optimum in theta here (its REMLcrit is
# 8e-9 above ours); a tight tolerance puts R at the optimum, which the test compares with
tight <- lmerControl(optimizer = "nloptwrap", optCtrl = list(xtol_abs = 1e-12, ftol_abs = 1e-14, xtol_rel = 1e-12,
                                                             maxeval = 1e5))
m <- lmer(pain ~ months * group + (1 + months | id), data = d, REML = TRUE, control = tight)
cat("T fixef\n"); p(fixef(m)); cat("T se\n"); p(sqrt(diag(vcov(m))))
cat("T theta sigma REML\n"); p(c(getME(m, "theta"), sigma(m), REMLcrit(m)))
s <- summary(m)$coefficients; cat("T satt df\n"); p(s[, "df"]); cat("T p\n"); p(s[, "Pr(>|t|)"])
e <- emmeans(m, ~ group | months, at = list(months = c(0, 1, 3, 6, 12)), lmer.df = "satterthwaite"); es <- summary(e)
cat("T emm: emmean, SE, df, lower, upper\n"); p(es$emmean); p(es$SE); p(es$df); p(es$lower.CL); p(es$upper.CL)
cs <- summary(pairs(e, reverse = TRUE), infer = TRUE)
cat("T BKP - control: estimate, SE, df, p, lower, upper\n"); p(cs$estimate); p(cs$SE); p(cs$df); p(cs$p.value); p(cs$lower.CL); p(cs$upper.CL)
tr <- summary(emtrends(m, ~ group, var = "months", lmer.df = "satterthwaite"), infer = TRUE)
cat("T slopes: trend, SE, df, p\n"); p(tr$months.trend); p(tr$SE); p(tr$df); p(tr$p.value)
m1 <- lmer(pain ~ months + (1 + months | id), data = d, REML = TRUE, control = tight)
cat("T one arm fixef, se, df\n"); p(fixef(m1)); p(sqrt(diag(vcov(m1)))); p(summary(m1)$coefficients[, "df"])
e1 <- summary(emmeans(m1, ~ months, at = list(months = c(0, 6)), lmer.df = "satterthwaite"))
cat("T one arm emm, se, df\n"); p(e1$emmean); p(e1$SE); p(e1$df)
# emmeans' own Satterthwaite df at months = 6 (59.514777904) differs by 1.6e-5 from lmerTest's on the same
# mean (the intercept of the model re-centred at 6 months), which the test uses:
m6 <- lmer(pain ~ I(months - 6) + (1 + months | id), data = d, REML = TRUE, control = tight)
cat("T one arm mean at 6 (lmerTest): estimate, se, df\n"); p(summary(m6)$coefficients[1, c("Estimate", "Std. Error", "df")])
cat("T two arm t values\n"); p(summary(m)$coefficients[, "t value"])
sessionInfo()
