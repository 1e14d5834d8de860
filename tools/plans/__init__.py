"""The CS plans and documents: what to do and the words to do it with.

Each module builds one document as a typed result from the analytics tools' results (never
its own variant of a metric), with every date computed and every missing input a gap.
"""
