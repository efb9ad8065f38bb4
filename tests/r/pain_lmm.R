# Reference values for tests/test_pain_mixed_model.py (R 4.2.x, lme4, lmerTest, emmeans).
# Run from the repository root: Rscript tests/r/pain_lmm.R
suppressMessages({library(lme4); library(lmerTest); library(emmeans)})
V <- c("baseline","1w","1m","3m","6m","12m","final")
p <- function(x) cat(paste(sprintf("%.12g", x), collapse=", "), "\n")
to_long <- function(f) {
  w <- read.csv(f, comment.char = "#")
  cols <- intersect(paste0("nrs_", V), names(w))
  l <- reshape(w[, c("patient_id", "arm", cols)], direction = "long", varying = cols, v.names = "nrs",
               timevar = "visit", times = sub("nrs_", "", cols), idvar = "patient_id")
  l <- l[!is.na(l$nrs), ]
  l$visit <- factor(l$visit, levels = intersect(V, unique(l$visit)))
  l$arm <- factor(l$arm, levels = c("control", "BKP"))
  l$time <- c(baseline=0, "1w"=0.25, "1m"=1, "3m"=3, "6m"=6, "12m"=12)[as.character(l$visit)]
  l
}
b <- to_long("data_schemas/examples/synthetic_bkp.csv")
m1 <- lmer(nrs ~ visit + (1 | patient_id), data=b, REML=TRUE)
cat("bkp fixef\n"); p(fixef(m1)); cat("bkp se\n"); p(sqrt(diag(vcov(m1))))
cat("bkp theta sigma REML\n"); p(c(getME(m1,"theta"), sigma(m1), REMLcrit(m1)))
s <- summary(m1)$coefficients; cat("bkp satt df\n"); p(s[, "df"]); cat("bkp p\n"); p(s[, "Pr(>|t|)"])
e <- emmeans(m1, ~ visit, lmer.df="satterthwaite"); es <- summary(e)
cat("bkp emm: emmean, SE, df, lower, upper\n"); p(es$emmean); p(es$SE); p(es$df); p(es$lower.CL); p(es$upper.CL)
cs <- summary(contrast(e, "trt.vs.ctrl", adjust="none"), infer=TRUE)
cat("bkp contrast vs baseline: estimate, SE, df, p\n"); p(cs$estimate); p(cs$SE); p(cs$df); p(cs$p.value)
c2 <- to_long("data_schemas/examples/synthetic_cafe.csv")
m2 <- lmer(nrs ~ arm * visit + (1 | patient_id), data=c2, REML=TRUE)
cat("cafe fixef\n"); p(fixef(m2)); cat("cafe se\n"); p(sqrt(diag(vcov(m2))))
cat("cafe theta sigma REML\n"); p(c(getME(m2,"theta"), sigma(m2), REMLcrit(m2)))
s <- summary(m2)$coefficients; cat("cafe satt df\n"); p(s[, "df"])
e2 <- emmeans(m2, ~ arm | visit, lmer.df="satterthwaite"); es2 <- summary(e2)
cat("cafe emm arm|visit: emmean, SE, df\n"); p(es2$emmean); p(es2$SE); p(es2$df)
cs2 <- summary(pairs(e2, reverse=TRUE), infer=TRUE)
cat("cafe BKP-control per visit: estimate, SE, df, p\n"); p(cs2$estimate); p(cs2$SE); p(cs2$df); p(cs2$p.value)
m3 <- lmer(nrs ~ arm * visit + (1 + time | patient_id), data=c2, REML=TRUE)
cat("cafe slope fixef\n"); p(fixef(m3)); cat("cafe slope se\n"); p(sqrt(diag(vcov(m3))))
cat("cafe slope theta sigma REML singular\n"); p(c(getME(m3,"theta"), sigma(m3), REMLcrit(m3), isSingular(m3)))
s <- summary(m3)$coefficients; cat("cafe slope satt df\n"); p(s[, "df"])
# a non-singular random slope: BKP arm only, months 0-12
b3 <- droplevels(subset(c2, arm == "BKP"))
m4 <- lmer(nrs ~ visit + (1 + time | patient_id), data=b3, REML=TRUE)
cat("bkp-arm slope fixef\n"); p(fixef(m4)); cat("se\n"); p(sqrt(diag(vcov(m4))))
cat("theta sigma REML singular\n"); p(c(getME(m4,"theta"), sigma(m4), REMLcrit(m4), isSingular(m4)))
s <- summary(m4)$coefficients; cat("df\n"); p(s[, "df"])
# contrasts with baseline per arm (test_cafe_contrasts_vs_baseline_per_arm)
cs <- summary(contrast(emmeans(m2, ~ visit | arm, lmer.df="satterthwaite"), "trt.vs.ctrl", adjust="none"), infer=TRUE)
cat("cafe vs baseline per arm: estimate, SE, df, p, lower, upper\n")
p(cs$estimate); p(cs$SE); p(cs$df); p(cs$p.value); p(cs$lower.CL); p(cs$upper.CL)

# fixed-effect CIs (t-based, Satterthwaite df) for tests/test_pain_tables.py
ci2 <- t(sapply(seq_along(fixef(m2)), function(i) { L <- rep(0, length(fixef(m2))); L[i] <- 1
  x <- contest(m2, L, joint = FALSE, confint = TRUE); c(x$lower, x$upper) }))
cat("cafe fixef CI lower, upper\n"); p(ci2[, 1]); p(ci2[, 2])
# continuous-time model fixed-effect CIs for tests/test_pain_tables.py ("final" scores left out)
c3 <- subset(c2, visit != "final")
m4 <- lmer(nrs ~ time * arm + (1 + time | patient_id), data = c3, REML = TRUE)
ci4 <- t(sapply(seq_along(fixef(m4)), function(i) { L <- rep(0, length(fixef(m4))); L[i] <- 1
  x <- contest(m4, L, joint = FALSE, confint = TRUE); c(x$lower, x$upper) }))
cat("cafe time-model fixef CI lower, upper\n"); p(ci4[, 1]); p(ci4[, 2])
sessionInfo()
