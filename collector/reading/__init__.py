"""2 · One file → what it says: opening untrusted files safely, finding the form and every blank, checking."""
