"""Study design: sample size and prespecified success criteria."""
