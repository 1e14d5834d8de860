"""The deterministic CS tools: pure functions of (portfolio data, as_of) returning results."""
