from django.shortcuts import render
from django.views.decorators.http import require_safe


@require_safe
def create(request):
    return render(request, "issues/create.html")
