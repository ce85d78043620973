"""The complainant's and the seller's pages, by subdomain: the vault (identity, rights, authorizations, documents),
claims, and disputes (the seller's notices, counter-notices and the rights holder's answers)."""
