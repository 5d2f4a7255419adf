# An instance in a child module, with http_tokens = "optional" from a module variable (finding
# at the value, resource module.app.aws_instance.this).

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "AKIAFAKEFAKEFAKEFAKE"
  secret_key                  = "fake-secret-key-for-offline-plans"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

module "app" {
  source      = "./app"
  http_tokens = "optional"
}
