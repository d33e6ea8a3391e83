"""The security options: the minimum profile, passwords, and TLS (certificate, key, client CA).

The minimum profile and the installing of passwords apply live; the TLS files and the
wss:// port are read when the server starts (a change reloads the entry).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
)
import voluptuous as vol

from .central_system.security.profile import SecurityProfile
from .central_system.security.settings import SecuritySettings
from .central_system.security.tls import TlsFiles, certificate_common_name, check_files
from .const import (
    CONF_INSTALL_PASSWORDS,
    CONF_MINIMUM_SECURITY_PROFILE,
    CONF_TLS_CERTIFICATE,
    CONF_TLS_CLIENT_CA,
    CONF_TLS_KEY,
    CONF_TLS_PORT,
    CONF_USE_HA_CERTIFICATE,
    DEFAULT_INSTALL_PASSWORDS,
    DEFAULT_TLS_PORT,
)

MIN_PORT = 1
MAX_PORT = 65535
# Every key this page owns (a cleared optional field is dropped from the options).
SECURITY_KEYS = (
    CONF_MINIMUM_SECURITY_PROFILE,
    CONF_INSTALL_PASSWORDS,
    CONF_TLS_PORT,
    CONF_USE_HA_CERTIFICATE,
    CONF_TLS_CERTIFICATE,
    CONF_TLS_KEY,
    CONF_TLS_CLIENT_CA,
)
_PATH_KEYS = (CONF_TLS_CERTIFICATE, CONF_TLS_KEY, CONF_TLS_CLIENT_CA)
# Which option holds the file `check_files` names.
_FILE_OPTION = {
    "certificate": CONF_TLS_CERTIFICATE,
    "key": CONF_TLS_KEY,
    "client_ca": CONF_TLS_CLIENT_CA,
}
# Shown in the form's description when there is no certificate (or it has no common name).
NO_CERTIFICATE = "-"


def profile_option(profile: SecurityProfile) -> str:
    """A profile's name in the options and the sensor: none, basic, tls_basic, ..."""
    return profile.name.lower()


PROFILE_OPTIONS = [profile_option(profile) for profile in SecurityProfile]
_PROFILES = {profile_option(profile): profile for profile in SecurityProfile}


def minimum_profile(options: dict[str, Any]) -> SecurityProfile:
    """The minimum security profile the options ask for (none when unset)."""
    return _PROFILES.get(str(options.get(CONF_MINIMUM_SECURITY_PROFILE)), SecurityProfile.NONE)


def install_passwords(options: dict[str, Any]) -> bool:
    """Whether approved chargers get their password over OCPP."""
    return bool(options.get(CONF_INSTALL_PASSWORDS, DEFAULT_INSTALL_PASSWORDS))


def tls_files(options: dict[str, Any]) -> TlsFiles | None:
    """The server's TLS files, when a certificate and key are set."""
    certificate, key = options.get(CONF_TLS_CERTIFICATE), options.get(CONF_TLS_KEY)
    if not certificate or not key:
        return None
    return TlsFiles(
        certificate=certificate, key=key, client_ca=options.get(CONF_TLS_CLIENT_CA) or None
    )


def tls_port(options: dict[str, Any]) -> int:
    """The wss:// port."""
    return int(options.get(CONF_TLS_PORT, DEFAULT_TLS_PORT))


def security_settings(options: dict[str, Any]) -> SecuritySettings:
    """The central system's security settings; TLS only with a certificate."""
    files = tls_files(options)
    return SecuritySettings(
        minimum=minimum_profile(options),
        tls=files,
        tls_port=tls_port(options) if files is not None else None,
    )


def ha_certificate(hass: HomeAssistant) -> tuple[str, str] | None:
    """Home Assistant's own certificate and key (its `http:` configuration), if it has them."""
    # None until (or unless) the http integration is set up.
    http = getattr(hass, "http", None)
    certificate = getattr(http, "ssl_certificate", None)
    key = getattr(http, "ssl_key", None)
    if not certificate or not key:
        return None
    return str(certificate), str(key)


def default_security_options() -> dict[str, Any]:
    """No minimum, passwords installed, TLS off (on its default port once a certificate is set)."""
    return {
        CONF_MINIMUM_SECURITY_PROFILE: profile_option(SecurityProfile.NONE),
        CONF_INSTALL_PASSWORDS: DEFAULT_INSTALL_PASSWORDS,
        CONF_TLS_PORT: DEFAULT_TLS_PORT,
        CONF_USE_HA_CERTIFICATE: False,
    }


def security_schema(hass: HomeAssistant) -> vol.Schema:
    """The form; HA's own certificate is offered only where HA has one."""
    schema: dict[vol.Marker, Any] = {
        vol.Required(CONF_MINIMUM_SECURITY_PROFILE): SelectSelector(
            SelectSelectorConfig(
                options=PROFILE_OPTIONS,
                mode=SelectSelectorMode.LIST,
                translation_key=CONF_MINIMUM_SECURITY_PROFILE,
            )
        ),
        vol.Required(CONF_INSTALL_PASSWORDS): BooleanSelector(),
        vol.Required(CONF_TLS_PORT): NumberSelector(
            NumberSelectorConfig(min=MIN_PORT, max=MAX_PORT, step=1, mode=NumberSelectorMode.BOX)
        ),
    }
    if ha_certificate(hass) is not None:
        schema[vol.Required(CONF_USE_HA_CERTIFICATE)] = BooleanSelector()
    for key in _PATH_KEYS:
        schema[vol.Optional(key)] = TextSelector(TextSelectorConfig(autocomplete="off"))
    return vol.Schema(schema)


def clean_security_options(hass: HomeAssistant, user_input: dict[str, Any]) -> dict[str, Any]:
    """Normalise the form: paths stripped, empty ones dropped; HA's certificate filled in.

    A port that is no whole number in 1..65535 stays as given, for the check to refuse.
    """
    options = {**default_security_options(), **user_input}
    for key in _PATH_KEYS:
        value = str(options.get(key) or "").strip()
        if value:
            options[key] = value
        else:
            options.pop(key, None)
    port = float(options[CONF_TLS_PORT])
    if port.is_integer():
        options[CONF_TLS_PORT] = int(port)
    if options[CONF_USE_HA_CERTIFICATE] and (own := ha_certificate(hass)) is not None:
        options[CONF_TLS_CERTIFICATE], options[CONF_TLS_KEY] = own
    return options


def _form_errors(hass: HomeAssistant, options: dict[str, Any], plain_port: int) -> dict[str, str]:
    """What is wrong without reading any file."""
    port = options[CONF_TLS_PORT]
    if not isinstance(port, int) or not MIN_PORT <= port <= MAX_PORT:
        return {CONF_TLS_PORT: "invalid_port"}
    if port == plain_port:
        return {CONF_TLS_PORT: "tls_port_same"}
    if options[CONF_USE_HA_CERTIFICATE] and ha_certificate(hass) is None:
        return {CONF_USE_HA_CERTIFICATE: "no_ha_certificate"}
    minimum = minimum_profile(options)
    certificate = CONF_TLS_CERTIFICATE in options
    if not certificate and (
        minimum >= SecurityProfile.TLS_BASIC
        or CONF_TLS_KEY in options
        or CONF_TLS_CLIENT_CA in options
    ):
        return {CONF_TLS_CERTIFICATE: "certificate_required"}
    if certificate and CONF_TLS_KEY not in options:
        return {CONF_TLS_KEY: "key_required"}
    if minimum is SecurityProfile.TLS_CLIENT_CERTIFICATE and CONF_TLS_CLIENT_CA not in options:
        return {CONF_TLS_CLIENT_CA: "client_ca_required"}
    return {}


async def async_validate_security_options(
    hass: HomeAssistant, options: dict[str, Any], plain_port: int
) -> dict[str, str]:
    """The form's errors: the choices must fit together and the files must be usable."""
    errors = _form_errors(hass, options, plain_port)
    files = tls_files(options)
    if errors or files is None:
        return errors
    problems = await hass.async_add_executor_job(check_files, files)
    return {_FILE_OPTION[which]: problem.value for which, problem in problems.items()}


def describe_certificate(options: dict[str, Any]) -> str:
    """The common name of the configured certificate, for the form (blocking: reads it)."""
    path = options.get(CONF_TLS_CERTIFICATE)
    if not path or not Path(path).is_file():
        return NO_CERTIFICATE
    try:
        return certificate_common_name(path) or NO_CERTIFICATE
    except (OSError, ValueError):
        return NO_CERTIFICATE
