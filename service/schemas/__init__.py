"""The API's and the pages' schemas: what each request may send (inputs, with Vietnamese messages written once in
base.py) and what each reader gets back (outputs, with named views where readers differ). The API resources
pass them to flask-smorest, so the OpenAPI document describes every body; the pages load their forms and dump
what they show with the same ones."""
