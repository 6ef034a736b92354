"""Settings for the `scrapy` command line (scrapy.cfg points here), for operators debugging
selectors: `scrapy list`, `scrapy shell URL`, `scrapy crawl <spider> -a source=<id>`.

They are the service's own crawl settings (monitor/fetch.py: robots.txt, AutoThrottle, the
`fetch:` limits, the private-address guard), built from the config in $DOZOR_CONFIG or
./config.yaml, or from the defaults when there is none. Unlike the service, Scrapy logs here.
"""

from monitor.config import Config, ConfigError, Environment, load_config, resolve_config_path
from monitor.fetch import crawl_settings_dict


def _config() -> Config:
    path = resolve_config_path(None, Environment())
    if not path.is_file():
        return Config()
    try:
        return load_config(path)
    except ConfigError as exc:
        raise SystemExit(f"{exc}\n(fix the config, or point DOZOR_CONFIG at another one)") from None


globals().update(crawl_settings_dict(_config()))
BOT_NAME = "dozor"
SPIDER_MODULES = ["monitor.spiders"]
NEWSPIDER_MODULE = "monitor.spiders"
LOG_ENABLED = True
LOG_LEVEL = "INFO"
# By hand, a crawl may take as long as it takes (the service stops one at 4 minutes).
CLOSESPIDER_TIMEOUT = 0
