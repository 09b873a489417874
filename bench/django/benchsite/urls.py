from django.urls import path

from properties import views

urlpatterns = [
    path("api/properties/", views.PropertyList.as_view()),
    path("api/properties/<int:pk>/", views.PropertyDetail.as_view()),
]
