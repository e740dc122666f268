"""``make demo``: the whole store on one machine (``python -m demo``).

``demo/__main__.py`` starts and stops everything, ``demo/crowd.py`` plays the
simulated shoppers, ``demo/api.py`` is the API's app on the demo's clock.
"""
