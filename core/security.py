from django.conf import settings


def client_ip(request) -> str | None:
    """The client's address, for login throttling.

    Directly exposed, it is REMOTE_ADDR. Behind ``TRUSTED_PROXY_COUNT`` reverse proxies, each of
    which appends the address it received the request from to X-Forwarded-For (nginx's
    ``$proxy_add_x_forwarded_for``), it is that many entries from the right: entries further left
    were written by the client and could be forged.
    """
    count = settings.TRUSTED_PROXY_COUNT
    if count:
        hops = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(hops) >= count:
            return hops[-count]
    return request.META.get("REMOTE_ADDR")
