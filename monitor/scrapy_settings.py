"""Settings for the `scrapy` command line (scrapy.cfg points here), for operators debugging
selectors with `scrapy shell`. The service itself builds its settings in monitor/fetch.py."""

BOT_NAME = "dozor"
SPIDER_MODULES = ["monitor.spiders"]
NEWSPIDER_MODULE = "monitor.spiders"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
USER_AGENT = "Dozor/0.1 (+https://github.com/dozor-monitor/dozor)"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS_PER_DOMAIN = 2
AUTOTHROTTLE_ENABLED = True
DOWNLOAD_TIMEOUT = 20
DOWNLOAD_MAXSIZE = 15 * 1024 * 1024
TELNETCONSOLE_ENABLED = False
