"""A Report as Markdown in the sample-reports format, and its fixed words per language."""
