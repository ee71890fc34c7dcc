"""What a run produces and what people read: the results' verdict, the
expectations file, and the report formats (console, HTML, Markdown, Cucumber
JSON). Pure functions over the results document (see ``results_plugin``) or
over the parsed feature files; nothing here runs pytest."""
