"""``torch.distributed.elastic``: what workers use to report to their launcher."""
