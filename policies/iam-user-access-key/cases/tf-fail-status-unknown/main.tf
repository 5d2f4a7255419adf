# Trap: a status unknown until apply counts as not set (finding at the start of change.after).

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "AKIAFAKEFAKEFAKEFAKE"
  secret_key                  = "fake-secret-key-for-offline-plans"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

resource "aws_iam_user" "ci" {
  name = "ci-deployer"
}

resource "aws_iam_access_key" "ci" {
  user   = aws_iam_user.ci.name
  status = aws_iam_user.ci.unique_id == "" ? "Inactive" : "Active"
}
