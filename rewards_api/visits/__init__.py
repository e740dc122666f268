"""Visits: a shopper's stay in a store, built from agents' sightings."""
