from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from . import selectors, services


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 100


class PropertyDetail(APIView):
    def get(self, request, pk):
        data = services.get_detail(pk)
        if data is None:
            raise NotFound()
        return Response(data)


class PropertyList(APIView):
    """DRF's PageNumberPagination response around the cached page: the count and results come
    from the service, the links from this request, as the paginator makes them."""

    def get(self, request):
        params = request.query_params
        filters = {"ordering": params.get("ordering", "-published_at")}
        if filters["ordering"] not in selectors.ORDERING:
            raise ValidationError({"ordering": ["Select a valid choice."]})
        if params.get("city"):
            filters["city"] = params["city"]
        try:
            page = int(params.get("page", 1))
        except ValueError:
            page = 0
        if page < 1:
            raise NotFound("Invalid page.")
        page_size = Pagination().get_page_size(request)
        data = services.get_list(filters, page, page_size)
        if page > 1 and (page - 1) * page_size >= data["count"]:
            raise NotFound("Invalid page.")
        url = request.build_absolute_uri()
        has_next = page * page_size < data["count"]
        previous = None
        if page > 1:
            previous = (
                remove_query_param(url, "page")
                if page == 2
                else replace_query_param(url, "page", page - 1)
            )
        return Response(
            {
                "count": data["count"],
                "next": replace_query_param(url, "page", page + 1) if has_next else None,
                "previous": previous,
                "results": data["results"],
            }
        )
