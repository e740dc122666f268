"""Scan points: campaigns that reward scanning chosen products during a visit."""
