"""4 · What goes out: status, the consolidated workbook, the export, blank templates for the units."""
