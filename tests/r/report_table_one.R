# Reference values for tests/test_report_table_one.py (base R; tableone is not installed).
grp  <- c(rep("A", 10), rep("B", 12))
age  <- c(61, 54, 70, 48, 66, 59, 73, 52, 64, 57,  45, 50, 62, 39, 58, 47, 55, 41, 60, 49, 53, 44)
dose <- c(64, 64, 70.4, 64, 57.6, 64, 64, 70.4, 64, 64,  64, 57.6, 57.6, 64, 52.8, 57.6, 64, 64, 52.8, 57.6, 64, 57.6)
sex  <- c("male","female","male","male","female","male","male","female","male","male",
          "female","female","male","female","female","male","female","female","male","female","female","male")
site <- c("cervical","thoracic","lumbar","lumbar","thoracic","sacral","lumbar","thoracic","cervical","lumbar",
          "thoracic","thoracic","cervical","lumbar","thoracic","cervical","thoracic","lumbar","thoracic","thoracic","cervical","thoracic")
p <- function(x) sprintf("%.12g", x)
A <- grp == "A"; B <- grp == "B"
# continuous, normal: t-test (= oneway.test(var.equal=TRUE))
tt <- t.test(age[A], age[B], var.equal = TRUE)
cat("age t", p(tt$statistic), "p", p(tt$p.value), "\n")
cat("age oneway p", p(oneway.test(age ~ grp, var.equal = TRUE)$p.value), "\n")
cat("age smd", p(abs(mean(age[A]) - mean(age[B])) / sqrt((var(age[A]) + var(age[B])) / 2)), "\n")
cat("age means", p(mean(age[A])), p(sd(age[A])), p(mean(age[B])), p(sd(age[B])), "\n")
# continuous, nonnormal: kruskal.test, quantile type 7
kt <- kruskal.test(dose ~ factor(grp))
cat("dose kw", p(kt$statistic), "p", p(kt$p.value), "\n")
cat("dose q A", p(quantile(dose[A], c(.5, .25, .75))), "\n")
cat("dose q B", p(quantile(dose[B], c(.5, .25, .75))), "\n")
cat("dose smd", p(abs(mean(dose[A]) - mean(dose[B])) / sqrt((var(dose[A]) + var(dose[B])) / 2)), "\n")
# binary categorical: chisq.test with Yates, fisher.test, SMD
tab <- table(grp, sex)
ct <- chisq.test(tab, correct = TRUE)
cat("sex chisq", p(ct$statistic), "p", p(ct$p.value), "\n")
cat("sex fisher p", p(fisher.test(tab)$p.value), "\n")
pA <- mean(sex[A] == "male"); pB <- mean(sex[B] == "male")
cat("sex smd", p(abs(pA - pB) / sqrt((pA * (1 - pA) + pB * (1 - pB)) / 2)), "\n")
# multi-level categorical: chisq.test (no correction for > 2x2), fisher.test, Yang-Dalton SMD
tab2 <- table(grp, site)
ct2 <- suppressWarnings(chisq.test(tab2))
cat("site chisq", p(ct2$statistic), "df", ct2$parameter, "p", p(ct2$p.value), "\n")
cat("site fisher p", p(fisher.test(tab2)$p.value), "\n")
P <- prop.table(tab2, 1)
p1 <- P["A", -1]; p2 <- P["B", -1]
S <- ((diag(p1) - p1 %o% p1) + (diag(p2) - p2 %o% p2)) / 2
d <- p1 - p2
cat("site smd", p(sqrt(drop(t(d) %*% MASS::ginv(S) %*% d))), "\n")
# three groups: mean of pairwise SMDs, ANOVA
g3 <- c(rep("A", 7), rep("B", 7), rep("C", 8))
cat("age3 anova F", p(oneway.test(age ~ g3, var.equal = TRUE)$statistic), "p", p(oneway.test(age ~ g3, var.equal = TRUE)$p.value), "\n")
sm <- function(x, y) abs(mean(x) - mean(y)) / sqrt((var(x) + var(y)) / 2)
a3 <- split(age, g3)
cat("age3 smd", p(mean(c(sm(a3$A, a3$B), sm(a3$A, a3$C), sm(a3$B, a3$C)))), "\n")

sessionInfo()
