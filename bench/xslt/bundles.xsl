<?xml version="1.0" encoding="UTF-8"?>
<!--
  Reference workload for the package-xml benchmark: the joins a WSUS Offline style download script
  runs over package.xml with xsltproc. Prints one CSV line per relation:
    bundle,<bundle RevisionId>,<child RevisionId>       (Update/BundledBy/Revision)
    superseded,<old RevisionId>,<newer RevisionId>      (Update/SupersededBy/Revision)
    payload,<child RevisionId>,<File Id>                (Update/PayloadFiles/File)
    location,<File Id>,<Url>                            (FileLocations/FileLocation)
-->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:p="http://schemas.microsoft.com/msus/2004/02/OfflineSync">
  <xsl:output method="text" encoding="UTF-8"/>
  <xsl:strip-space elements="*"/>

  <xsl:template match="/">
    <xsl:for-each select="p:OfflineSyncPackage/p:Updates/p:Update">
      <xsl:variable name="rev" select="@RevisionId"/>
      <xsl:for-each select="p:BundledBy/p:Revision">
        <xsl:value-of select="concat('bundle,', @Id, ',', $rev, '&#10;')"/>
      </xsl:for-each>
      <xsl:for-each select="p:SupersededBy/p:Revision">
        <xsl:value-of select="concat('superseded,', $rev, ',', @Id, '&#10;')"/>
      </xsl:for-each>
      <xsl:for-each select="p:PayloadFiles/p:File">
        <xsl:value-of select="concat('payload,', $rev, ',', @Id, '&#10;')"/>
      </xsl:for-each>
    </xsl:for-each>
    <xsl:for-each select="p:OfflineSyncPackage/p:FileLocations/p:FileLocation">
      <xsl:value-of select="concat('location,', @Id, ',', @Url, '&#10;')"/>
    </xsl:for-each>
  </xsl:template>
</xsl:stylesheet>
