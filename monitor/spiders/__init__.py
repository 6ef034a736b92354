"""Hand-written Scrapy spiders for sites that need more than config can say.

Operators debugging from the repo root: `scrapy list`, `scrapy shell URL` (settings from
monitor/scrapy_settings.py through scrapy.cfg). Spider sources in config.yaml arrive with the
sites-without-feeds work; until then this package holds no spiders.
"""
