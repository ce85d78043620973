"""factory_boy factories for the platform and the catalogue."""

import factory
from django.utils import timezone

from ipp_portal.accounts.models import User
from listings.links import ListingRef, canonical_listing_url
from listings.models import Listing, Seller, Site


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    full_name = factory.Faker("name")
    email_verified_at = factory.LazyFunction(timezone.now)
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery staple")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def site(code: str = "alibaba") -> Site:
    return Site.objects.get(code=code)


class SellerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Seller

    site = factory.LazyFunction(lambda: Site.objects.get(code="alibaba"))
    user = factory.SubFactory(UserFactory)
    member_id = factory.Sequence(lambda n: f"m{n:09d}")
    store_name = factory.Sequence(lambda n: f"Store {n}")


class ListingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Listing

    seller = factory.SubFactory(SellerFactory)
    site = factory.SelfAttribute("seller.site")
    external_id = factory.Sequence(lambda n: str(1_601_500_000_000 + n))
    url = factory.LazyAttribute(lambda o: canonical_listing_url(ListingRef(o.site.code, o.external_id)))
    title = factory.Faker("sentence", nb_words=5)
    price = "9.99"
