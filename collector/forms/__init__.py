"""1 · What a table is: form files → pydantic models, what a blank's text means, the template layout."""
