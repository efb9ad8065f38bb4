"""Statistical methods: pure functions from a DataFrame to a frozen result."""
