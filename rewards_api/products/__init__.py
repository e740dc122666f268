"""Products (by GTIN) and each store's assortment: what it carries and where."""
