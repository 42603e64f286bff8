"""The admin side of the workflow engine: what may happen next, as buttons with small forms.

``WorkflowAdminMixin`` adds to a ModelAdmin whose model has a ``cswb.lib.workflow.Workflow``:

- on the change page, ``workflow_actions`` in the context: one button per transition the user
  may perform from the object's state (templates include ``admin/workflow/_actions.html``);
- a page per transition (``<pk>/act/<name>/``) with that transition's own form, saying whom it
  will email before it runs. A failure (state moved on, a rule refused, a wrong role) shows the
  form again with the error and everything typed, and never a success message.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _

from cswb.lib.admin import add_refusal
from cswb.lib.workflow import Transition, Workflow


class WorkflowAdminMixin:
    workflow: Workflow
    transition_template = "admin/workflow/transition.html"

    def _url_name(self, suffix: str) -> str:
        opts = self.model._meta
        return f"{opts.app_label}_{opts.model_name}_{suffix}"

    def get_urls(self):
        return [
            path("<int:object_id>/act/<str:name>/",
                 self.admin_site.admin_view(self.transition_view),
                 name=self._url_name("transition")),
        ] + super().get_urls()

    # What the change page shows ---------------------------------------------------------------

    def workflow_actions(self, request, obj) -> list[dict]:
        """Return a button per transition ``request.user`` may perform on ``obj`` now."""
        if obj is None:
            return []
        return [
            {
                "name": t.name,
                "label": t.label,
                "url": reverse(f"admin:{self._url_name('transition')}", args=[obj.pk, t.name]),
                "emails": bool(t.notifies),
            }
            for t in self.workflow.available(obj, request.user)
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id) if object_id else None
        extra_context = {
            **(extra_context or {}),
            "workflow_actions": self.workflow_actions(request, obj),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    # The page of one transition -------------------------------------------------------------

    def transition_initial(self, request, obj, transition: Transition) -> dict:
        """Return the form's first values (e.g. what a check suggests)."""
        return {}

    def transition_context(self, request, obj, transition: Transition) -> dict:
        """Return more for the transition's page (e.g. figures to decide with)."""
        return {}

    def perform_transition(self, request, obj, transition: Transition, inputs: dict):
        """Perform ``transition`` with the form's values; services may wrap the engine."""
        return self.workflow.perform(obj, transition.name, by=request.user, inputs=inputs)

    def transition_view(self, request, object_id, name):
        obj = self.get_object(request, str(object_id))
        if obj is None:
            raise Http404
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        change_url = reverse(f"admin:{self._url_name('change')}", args=[obj.pk])
        transition = self.workflow.get(self.workflow.state_of(obj), name)
        if transition is None:
            messages.error(request, _("That is not possible in the current state: here is what "
                                      "may happen now."))
            return redirect(change_url)
        if not self.workflow.may(request.user, transition):
            raise PermissionDenied
        form = transition.form_class(
            request.POST if request.method == "POST" else None,
            obj=obj,
            transition=transition,
            user=request.user,
            initial=self.transition_initial(request, obj, transition),
        )
        if request.method == "POST" and form.is_valid():
            try:
                self.perform_transition(request, obj, transition, form.cleaned_data)
            except ValidationError as exc:
                add_refusal(form, exc)
            else:
                messages.success(request, _("Done: %(action)s.") % {"action": transition.label})
                return redirect(change_url)
        inputs = form.cleaned_data if form.is_bound and hasattr(form, "cleaned_data") else None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": obj,
            "object": obj,
            "title": transition.label,
            "transition": transition,
            "form": form,
            "audience": self.workflow.audience(obj, transition, inputs),
            "change_url": change_url,
            "state_label": self.workflow.states(self.workflow.state_of(obj)).label,
            **self.transition_context(request, obj, transition),
        }
        return TemplateResponse(request, self.transition_template, context)

