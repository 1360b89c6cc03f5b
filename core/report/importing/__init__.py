"""Reading reports in the sample-reports Markdown format back into Report values (see core.report)."""
