"""Where shoppers fail: refusals of scans and of checkout codes, counted per store for
the back office's measured success (``/manage/results``)."""
