"""3 · Files coming in: the workspace, the roster, the ledger, one pass over inbox/, receipts, the watched inbox."""
