"""The foundation every layer may use: value classes, text and redaction, logging, directories,
atomic writes."""
