"""Staff accounts in the admin: invitations by name, email and roles, never a chosen password.

Administrators invite a colleague (the *Add* page is the invitation form) and may send a new
enrolment link; only the account's owner chooses its password and adds its second factor, on
that link. Authenticator devices and recovery codes are listed without their secrets.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Exists, OuterRef, Q
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from cswb.accounts import permissions, services
from cswb.accounts.models import Enrolment, StaffRole, User
from cswb.accounts.roles import DESCRIPTIONS, Role

admin.site.unregister(Group)


class InviteForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    email = forms.EmailField(
        label=_("Email address"),
        help_text=_("The enrolment link goes here; it is also the username."),
    )
    roles = forms.MultipleChoiceField(
        label=_("Roles"),
        choices=Role.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


class StaffChangeForm(forms.ModelForm):
    """The account's details and roles; the password is its owner's alone."""

    class Meta:
        model = User
        fields = [
            "username", "first_name", "last_name", "email", "is_active", "is_staff",
            "is_superuser", "groups", "user_permissions",
        ]


class RoleFilter(admin.SimpleListFilter):
    title = _("role")
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return [(role.value, role.label) for role in Role]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(groups__name=self.value())
        return queryset


class EnrolledFilter(admin.SimpleListFilter):
    title = _("second factor")
    parameter_name = "enrolled"

    def lookups(self, request, model_admin):
        return [("yes", _("Set up")), ("no", _("Not set up"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.enrolled()
        if self.value() == "no":
            return queryset.unenrolled()
        return queryset


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = StaffChangeForm
    # What an administrator looks for first (can this person sign in?) before what scrolls off
    # to the side on a laptop with the navigation and filters open.
    list_display = (
        "username", "full_name", "second_factor", "is_active", "roles", "last_login", "email",
    )
    list_filter = (RoleFilter, EnrolledFilter, "is_staff", "is_superuser", "is_active")
    ordering = ("last_name", "first_name", "username")
    fieldsets = (
        (None, {"fields": ("username",)}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    readonly_fields = ("last_login", "date_joined")
    actions = ["send_enrolment_link"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related("groups")
            .annotate(
                has_second_factor=Exists(
                    TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
                )
            )
        )

    @admin.display(boolean=True, description=_("second factor"), ordering="has_second_factor")
    def second_factor(self, obj):
        return obj.has_second_factor

    @admin.display(description=_("name"), ordering="last_name")
    def full_name(self, obj):
        return obj.get_full_name() or "—"

    @admin.display(description=_("roles"))
    def roles(self, obj):
        names = [str(StaffRole(name=g.name)) for g in obj.groups.all()]
        if obj.is_superuser:
            names.insert(0, str(_("Superuser (every role)")))
        return ", ".join(names) or _("No role")

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups":
            kwargs["label"] = _("Roles")
            kwargs["help_text"] = " ".join(
                f"{role.label}: {DESCRIPTIONS[role]}" for role in Role
            )
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "groups":
            formfield.label_from_instance = lambda group: str(StaffRole(name=group.name))
        return formfield

    def get_urls(self):
        # Leave out the base class's "set this user's password" page: nobody but the account's
        # owner chooses its password.
        return admin.ModelAdmin.get_urls(self)

    def add_view(self, request, form_url="", extra_context=None):
        """Invite a colleague: name, email and roles; the enrolment link is emailed to them."""
        if not self.has_add_permission(request) or not permissions.can_manage_users(request.user):
            raise PermissionDenied
        form = InviteForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                user = services.user_invite(
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    email=data["email"],
                    roles=data["roles"],
                    by=request.user,
                )
            except ValidationError as exc:
                form.add_error("email", exc)
            else:
                self.log_addition(request, user, "Invited; enrolment link sent.")
                self.message_user(
                    request,
                    _("%(name)s is invited: an enrolment link, valid 72 hours, is on its way "
                      "to %(email)s.") % {"name": user.get_full_name(), "email": user.email},
                    messages.SUCCESS,
                )
                return redirect("admin:accounts_user_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Invite a colleague"),
            "form": form,
            "adminform": form,
        }
        return TemplateResponse(request, "admin/accounts/user/invite.html", context)

    @admin.action(description=_("Email a new enrolment link (password and second factor)"),
                  permissions=["change"])
    def send_enrolment_link(self, request, queryset):
        if not permissions.can_manage_users(request.user):
            raise PermissionDenied
        sent, skipped = 0, []
        for user in queryset:
            try:
                services.enrolment_send(user=user, by=request.user)
            except ValidationError:
                skipped.append(user.get_username())
                continue
            self.log_change(request, user, "Enrolment link sent.")
            sent += 1
        if sent:
            self.message_user(
                request,
                ngettext("%d enrolment link sent.", "%d enrolment links sent.", sent) % sent,
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                _("No link was sent to %(names)s: no email address.")
                % {"names": ", ".join(skipped)},
                messages.ERROR,
            )


@admin.register(Enrolment)
class EnrolmentAdmin(admin.ModelAdmin):
    """Who was sent an enrolment link, by whom, and whether it was used. Never the link."""

    list_display = ("user", "created_at", "created_by", "expires_at", "used_at", "revoked_at")
    list_select_related = ("user", "created_by")
    search_fields = ("user__username", "user__email")
    fields = ("user", "created_at", "created_by", "expires_at", "used_at", "revoked_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class _DeviceAdmin(admin.ModelAdmin):
    """A second-factor device, without its secret: administrators may only remove one (a lost
    phone); a new one is added by its owner on an enrolment link."""

    list_select_related = ("user",)
    search_fields = ("user__username", "user__email", "name")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


admin.site.unregister(TOTPDevice)
admin.site.unregister(StaticDevice)


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(_DeviceAdmin):
    list_display = ("user", "name", "confirmed", "created_at", "last_used_at")
    list_filter = ("confirmed",)
    fields = (
        "user", "name", "confirmed", "created_at", "last_used_at",
        "throttling_failure_count", "throttling_failure_timestamp",
    )
    readonly_fields = fields


@admin.register(StaticDevice)
class StaticDeviceAdmin(_DeviceAdmin):
    list_display = ("user", "name", "codes_left", "created_at", "last_used_at")
    fields = ("user", "name", "codes_left", "created_at", "last_used_at")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(unused=Count("token_set", filter=Q()))

    @admin.display(description=_("recovery codes left"), ordering="unused")
    def codes_left(self, obj):
        return obj.unused


@admin.register(StaffRole)
class StaffRoleAdmin(admin.ModelAdmin):
    """The roles are set by the code (each app's permissions.py): read them here, give them to
    people on their user page."""

    list_display = ("role_name", "description", "people")
    fields = ("role_name", "description", "people")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(people_count=Count("user"))

    @admin.display(description=_("role"), ordering="name")
    def role_name(self, obj):
        return str(obj)

    @admin.display(description=_("what it may do"))
    def description(self, obj):
        return obj.description()

    @admin.display(description=_("people"), ordering="people_count")
    def people(self, obj):
        return obj.people_count

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
