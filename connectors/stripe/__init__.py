"""Stripe as a sync source: invoices, and subscriptions as contracts, into the store.

`StripeSource` (source.py) reads the API; mapping.py turns its JSON into invoices and
contracts rows. Settings: CSM_STRIPE_KEY (and CSM_STRIPE_URL); options in the workspace
profile's `connectors.stripe` (see docs/zendesk-stripe.md).
"""

from connectors.stripe.mapping import StripeOptions
from connectors.stripe.source import StripeSource

__all__ = ["StripeOptions", "StripeSource"]
