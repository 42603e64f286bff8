from django.shortcuts import render
from django.views.decorators.http import require_safe


@require_safe
def overview(request):
    return render(request, "indicators/overview.html")
