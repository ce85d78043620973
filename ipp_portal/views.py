"""Pages that belong to the portal as a whole: home, health check and the error pages."""

from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from listings.selectors import seller_list_for_user


def home(request):
    stores = list(seller_list_for_user(request.user)) if request.user.is_authenticated else []
    return render(request, "home.html", {"stores": stores})


@never_cache
@require_GET
def healthz(request):
    """Liveness and database reachability for load balancers and compose healthchecks."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def ping(request):
    """The trivial view the HTTP benchmark uses as its ceiling."""
    return HttpResponse(b"ok", content_type="text/plain")


def bad_request(request, exception=None):
    return render(request, "errors/400.html", status=400)


def permission_denied(request, exception=None):
    return render(request, "errors/403.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "errors/404.html", status=404)


def server_error(request):
    # No context processors that touch the database: the error may be the database.
    from django.template import loader

    return HttpResponse(loader.get_template("errors/500.html").render(), status=500)


def csrf_failure(request, reason=""):
    return render(request, "errors/403_csrf.html", status=403)
