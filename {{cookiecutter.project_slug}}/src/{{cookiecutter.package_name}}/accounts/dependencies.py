from typing import Annotated

from fastapi import Depends

from {{ cookiecutter.package_name }}.accounts.schemas import AddressRequest
from {{ cookiecutter.package_name }}.auth.dependencies import throttling_key
from {{ cookiecutter.package_name }}.users.schemas import UserCreate
from {{ cookiecutter.package_name }}.web.dependencies import Limiter, SettingsDep


async def throttled_registration(
    data: UserCreate, limiter: Limiter, settings: SettingsDep
) -> UserCreate:
    """The registration, once its address is within its budget: charged alike whether the
    address has an account or not, so running out of it says nothing about the address."""
    await limiter.hit(
        settings.REGISTER_RATE_LIMIT_PER_ACCOUNT,
        scope="register:account",
        key=throttling_key(str(data.email)),
    )
    return data


ThrottledRegistration = Annotated[UserCreate, Depends(throttled_registration)]


async def throttled_address_request(
    data: AddressRequest, limiter: Limiter, settings: SettingsDep
) -> AddressRequest:
    """A request to mail an address (a new verification link, a reset link), once the address
    is within its budget. One budget for both, charged for any address: it bounds how much
    mail anyone can make the service send to one mailbox."""
    await limiter.hit(
        settings.ACCOUNT_MAIL_RATE_LIMIT_PER_ADDRESS,
        scope="account-mail:address",
        key=throttling_key(str(data.email)),
    )
    return data


ThrottledAddressRequest = Annotated[AddressRequest, Depends(throttled_address_request)]
